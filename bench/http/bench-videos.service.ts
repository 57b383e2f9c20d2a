import { Injectable } from '@nestjs/common';
import { Cacheable } from '../../src/cache/index.js';
import { VideosRepository, type Video } from '../../src/videos/videos.repository.js';
import { L2_ONLY_NAMESPACE } from '../sections/redis-hits.js';

/** Video reads through vidcache, as a feature service writes them. */
@Injectable()
export class BenchVideosService {
  constructor(private readonly repository: VideosRepository) {}

  /** The `video` namespace with its default policy: after the first read, an L1 hit. */
  @Cacheable({ namespace: 'video', key: (id: string) => ['video', id] })
  findById(id: string): Promise<Video | null> {
    return this.repository.findById(id);
  }

  /** A namespace whose L1 holds nothing (see `L2_ONLY_POLICY`): after the first read, an L2 hit. */
  @Cacheable({ namespace: L2_ONLY_NAMESPACE, key: (id: string) => ['video', id] })
  findByIdFromL2(id: string): Promise<Video | null> {
    return this.repository.findById(id);
  }
}
