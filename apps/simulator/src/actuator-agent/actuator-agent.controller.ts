import { Controller, Get } from '@nestjs/common';
import { ActuatorAgentService } from './actuator-agent.service';

/** `GET /agent/commands`: every command the agent received, in order, with what it did. */
@Controller('agent')
export class ActuatorAgentController {
  constructor(private readonly agent: ActuatorAgentService) {}

  @Get('commands')
  commands() {
    return { commands: this.agent.received() };
  }
}
