export { startBroker, type BrokerOptions, type EmbeddedBroker } from './broker/embedded-broker';
export type { GroupDescription, GroupState } from './group/group-coordinator';
export { SUPPORTED_APIS, type VersionRange } from './protocol/api-keys';
export { MalformedRequestError } from './protocol/protocol.errors';
export { crc32c, type FsyncPolicy, type TopicConfig } from './storage';
