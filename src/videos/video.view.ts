import type { Page } from '../common/validation/index.js';
import type { Video } from './videos.repository.js';

/**
 * A video's metadata as the API serves and the cache stores it. It deliberately leaves out what
 * changes often: the view/like/share counters (analytics: `GET /analytics/videos/:id`), and the
 * processing status, progress and `updatedAt` that every status update moves (`GET /videos/:id/status`).
 * So an event or a status update never makes a cached video, or a cached list of videos, stale.
 */
export type VideoView = Pick<
  Video,
  'id' | 'userId' | 'title' | 'description' | 'category' | 'durationSec' | 'format' | 'createdAt'
>;

export type VideoPage = Page<VideoView>;

export function toVideoView(video: Video): VideoView {
  return {
    id: video.id,
    userId: video.userId,
    title: video.title,
    description: video.description,
    category: video.category,
    durationSec: video.durationSec,
    format: video.format,
    createdAt: video.createdAt,
  };
}
