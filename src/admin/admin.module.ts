import { Module } from '@nestjs/common';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { AdminActions } from './admin-actions';
import { AdminController } from './admin.controller';
import { ModelRepositoryController } from './model-repository.controller';
import { AdminTokenGuard } from './admin-token.guard';

@Module({
  imports: [ModelRegistryModule],
  controllers: [AdminController, ModelRepositoryController],
  providers: [AdminTokenGuard, AdminActions],
})
export class AdminModule {}
