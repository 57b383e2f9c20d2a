import { ApiProperty, OmitType } from '@nestjs/swagger';
import { VideoPageResponse, VideoResponse } from '../../videos/dto/video.response.js';
import type { ScoredVideo } from '../recommendations.repository.js';
import type { RecommendationPage } from '../recommendations.service.js';

/** A recommended video: the video as every list serves it, and its score. */
export class RecommendedVideoResponse extends VideoResponse implements ScoredVideo {
  @ApiProperty({
    example: 42,
    description:
      'Sum, over the events of similar users on this video, of their similarity (videos watched in ' +
      'common) times the weight of the event type (`recommendations.weights`); higher is better',
  })
  score!: number;
}

/** A page of recommendations, best first: a page of videos whose items carry their score. */
export class RecommendationPageResponse
  extends OmitType(VideoPageResponse, ['items'] as const)
  implements RecommendationPage
{
  @ApiProperty({ type: [RecommendedVideoResponse] })
  items!: RecommendedVideoResponse[];
}
