import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { registerCloseToMatchers } from './close-to';

// Registry logs are asserted through states and reasons, not console output; keep test output readable.
Logger.overrideLogger(false);

// expect(output).toMatchModelOutput(expected): floats within a float32 tolerance, the rest exact (see close-to.ts).
registerCloseToMatchers();
