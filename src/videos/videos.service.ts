import { Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CacheConfig, CacheEvict, CachePut, Cacheable, HybridCacheService } from '../cache/index.js';
import {
  DomainEvent,
  userTag,
  videoTag,
  type VideoCreatedEvent,
  type VideoDeletedEvent,
  type VideoRef,
  type VideoUpdatedEvent,
} from '../common/events/domain-events.js';
import type { VideoStatus } from '../database/index.js';
import { normalizeSearchText, type NormalizedSearch } from './search-text.js';
import { toVideoView, type VideoPage, type VideoView } from './video.view.js';
import {
  POPULAR_TTL_MS,
  SEARCH_NAMESPACE,
  VIDEO_NAMESPACE,
  VIDEO_STATUS_NAMESPACE,
} from './videos.constants.js';
import {
  popularKey,
  popularPattern,
  searchKey,
  statusKey,
  userVideosKey,
  userVideosPattern,
  videoKey,
} from './videos.keys.js';
import { unknownReference, videoNotFound } from './videos.messages.js';
import {
  VideosRepository,
  type CreateVideoInput,
  type UpdateVideoInput,
  type VideoStatusInfo,
} from './videos.repository.js';

export interface SearchInput {
  /** As the client sent it; normalized here. */
  q: string;
  category?: string;
  page: number;
  perPage: number;
}

const tagsOf = (videos: readonly { id: string }[]) => videos.map((video) => videoTag(video.id));
const refOf = (video: VideoRef): VideoRef => ({
  id: video.id,
  userId: video.userId,
  category: video.category,
});
const changesAnything = (patch: UpdateVideoInput) =>
  Object.values(patch).some((value) => value !== undefined);
/** Fields a search matches on: changing one can add the video to results it was not in. */
const changesSearchResults = (patch: UpdateVideoInput) =>
  patch.title !== undefined || patch.description !== undefined || patch.category !== undefined;

/**
 * Video metadata, status, lists and search, every read cached and every write followed by the
 * evictions it calls for.
 *
 * What each write evicts (after the database commit):
 * - create: the owner's list pages, popular for its category and over all categories (a new video
 *   can enter a short list), the whole `search` namespace (it may match any cached query), and the
 *   new video is written through;
 * - update: the video, every list and aggregate tagged with it (popular, search, user pages,
 *   trending), popular for its new category, and the `search` namespace when a searched field
 *   (title, description, category) changed, since it may now match queries it did not;
 * - delete: the video, its status, everything tagged with it, and the owner's list pages;
 * - status: written through (`video-status`), nothing else (lists do not carry the status).
 * Other modules evict what they derive from videos on the domain events emitted here.
 */
@CacheConfig({ namespace: VIDEO_NAMESPACE })
@Injectable()
export class VideosService {
  constructor(
    private readonly repository: VideosRepository,
    private readonly cache: HybridCacheService,
    private readonly events: EventEmitter2,
  ) {}

  // ------------------------------------------------------------------ reads

  /** A video's metadata; null for an unknown id (cached for the policy's short null TTL). */
  @Cacheable({ key: videoKey })
  async findById(id: string): Promise<VideoView | null> {
    const video = await this.repository.findById(id);
    return video && toVideoView(video);
  }

  /** A video's processing status; null for an unknown id. */
  @Cacheable({ namespace: VIDEO_STATUS_NAMESPACE, key: statusKey })
  async status(id: string): Promise<VideoStatusInfo | null> {
    return this.repository.getStatus(id);
  }

  /** One page of a user's videos, newest first; null when the user does not exist. */
  @Cacheable({
    key: userVideosKey,
    tags: (result: VideoPage | null, userId: string) =>
      result ? [userTag(userId), ...tagsOf(result.items)] : [],
  })
  async listByUser(userId: string, page: number, perPage: number): Promise<VideoPage | null> {
    const paged = await this.repository.listByUser(userId, page, perPage);
    return paged && { items: paged.items.map(toVideoView), page, perPage, total: paged.total };
  }

  /**
   * The most viewed videos, in one category or over all of them, as a single page. Not evicted by
   * events (see {@link POPULAR_TTL_MS}): the order is at most that old.
   */
  @Cacheable({
    key: popularKey,
    ttl: POPULAR_TTL_MS,
    tags: (result: VideoPage) => tagsOf(result.items),
  })
  async popular(category: string | undefined, limit: number): Promise<VideoPage> {
    const videos = await this.repository.popular(category, limit);
    return { items: videos.map(toVideoView), page: 1, perPage: limit, total: videos.length };
  }

  /** Videos whose title or description contains the text; see {@link normalizeSearchText}. */
  search(input: SearchInput): Promise<VideoPage> {
    return this.searchNormalized({
      q: normalizeSearchText(input.q),
      category: input.category,
      page: input.page,
      perPage: input.perPage,
    });
  }

  /** Every category that has a video (not cached: warm-up lists them once per run). */
  categories(): Promise<string[]> {
    return this.repository.listCategories();
  }

  // Cached per normalized query: queries that differ only in case or spacing share one entry.
  @Cacheable({
    namespace: SEARCH_NAMESPACE,
    key: searchKey,
    tags: (result: VideoPage) => tagsOf(result.items),
  })
  private async searchNormalized(search: NormalizedSearch): Promise<VideoPage> {
    const { items, total } = await this.repository.search(search);
    return { items: items.map(toVideoView), page: search.page, perPage: search.perPage, total };
  }

  // ------------------------------------------------------------------ writes

  /** Creates a video for an existing user (404 naming `userId` otherwise). */
  @CachePut({ key: (video: VideoView) => videoKey(video.id) })
  @CacheEvict({
    patterns: (input: CreateVideoInput) => [
      userVideosPattern(input.userId),
      popularPattern(input.category),
      popularPattern(undefined),
    ],
  })
  @CacheEvict({ namespace: SEARCH_NAMESPACE, allEntries: true })
  async create(input: CreateVideoInput): Promise<VideoView> {
    const video = await this.repository.create(input);
    if (!video) throw new NotFoundException(unknownReference('userId', 'user', input.userId));
    const view = toVideoView(video);
    await this.events.emitAsync(DomainEvent.videoCreated, { video: refOf(view) } satisfies VideoCreatedEvent);
    return view;
  }

  /** Changes the given metadata fields; an empty patch changes (and evicts) nothing. */
  @CacheEvict<[id: string, patch: UpdateVideoInput]>({
    key: videoKey,
    tags: (id) => [videoTag(id)],
    patterns: (_id, patch) => (patch.category === undefined ? [] : [popularPattern(patch.category)]),
    condition: (_id, patch) => changesAnything(patch),
  })
  @CacheEvict<[id: string, patch: UpdateVideoInput]>({
    namespace: SEARCH_NAMESPACE,
    allEntries: true,
    condition: (_id, patch) => changesSearchResults(patch),
  })
  async update(id: string, patch: UpdateVideoInput): Promise<VideoView> {
    const change = await this.repository.update(id, patch);
    if (!change) throw new NotFoundException(videoNotFound(id));
    if (changesAnything(patch)) {
      await this.events.emitAsync(DomainEvent.videoUpdated, {
        previous: refOf(change.previous),
        current: refOf(change.current),
      } satisfies VideoUpdatedEvent);
    }
    return toVideoView(change.current);
  }

  /** Deletes a video (its events and queue entries go with it). */
  @CacheEvict({ key: videoKey, tags: (id: string) => [videoTag(id)] })
  @CacheEvict({ namespace: VIDEO_STATUS_NAMESPACE, key: statusKey })
  async delete(id: string): Promise<void> {
    const deleted = await this.repository.delete(id);
    if (!deleted) throw new NotFoundException(videoNotFound(id));
    // The owner is known only now, from the deleted row: every page of their list shifts.
    await this.cache.deleteByPattern(VIDEO_NAMESPACE, userVideosPattern(deleted.userId));
    await this.events.emitAsync(DomainEvent.videoDeleted, {
      video: refOf(deleted),
    } satisfies VideoDeletedEvent);
  }

  /** Sets the processing status (and progress, when given), writing the new value through. */
  @CachePut({ namespace: VIDEO_STATUS_NAMESPACE, key: (info: VideoStatusInfo) => statusKey(info.id) })
  async setStatus(id: string, status: VideoStatus, progress?: number): Promise<VideoStatusInfo> {
    const info = await this.repository.setStatus(id, status, progress);
    if (!info) throw new NotFoundException(videoNotFound(id));
    return info;
  }
}
