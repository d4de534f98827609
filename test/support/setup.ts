import 'reflect-metadata';
import { Logger } from '@nestjs/common';

// Registry logs are asserted through states and reasons, not console output; keep test output readable.
Logger.overrideLogger(false);
