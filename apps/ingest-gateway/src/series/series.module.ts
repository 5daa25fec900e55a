import { Module } from '@nestjs/common';
import { AggregatorClient } from './aggregator.client';
import { SeriesController } from './series.controller';

/** Series, energy, batch runs and backfill → the aggregator's serving layer over gRPC. */
@Module({ controllers: [SeriesController], providers: [AggregatorClient] })
export class SeriesModule {}
