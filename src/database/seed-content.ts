import type { JsonValue } from './schema.js';

// Vocabulary of the seed data. Plain data, kept apart from the generator so either can change alone.

/** Categories with their share of uploads: a few dominate, as on a real platform. */
export const SEED_CATEGORIES = [
  ['music', 22],
  ['gaming', 20],
  ['education', 14],
  ['news', 10],
  ['sports', 10],
  ['cooking', 9],
  ['travel', 8],
  ['science', 7],
] as const satisfies readonly (readonly [string, number])[];

export type SeedCategory = (typeof SEED_CATEGORIES)[number][0];

/** Subjects per category; titles combine one with an angle and a format. */
export const SUBJECTS: Record<SeedCategory, readonly string[]> = {
  music: [
    'Guitar',
    'Piano',
    'Lo-fi Beats',
    'Jazz Standards',
    'Synthwave',
    'Drum Grooves',
    'Choir',
    'Bass Lines',
    'Violin',
    'Beatmaking',
  ],
  gaming: [
    'Speedrun',
    'Boss Fight',
    'Open World',
    'Roguelike',
    'Strategy',
    'Indie Gems',
    'Retro Console',
    'Esports Finals',
    'Co-op Survival',
    'Puzzle Platformer',
  ],
  education: [
    'Calculus',
    'Linear Algebra',
    'World History',
    'Spanish Grammar',
    'Statistics',
    'Essay Writing',
    'Chemistry',
    'Economics',
    'Philosophy',
    'Python Programming',
  ],
  news: [
    'Election Night',
    'Climate Summit',
    'Markets',
    'Tech Policy',
    'Housing',
    'Energy Prices',
    'Public Health',
    'Space Launch',
    'Trade Talks',
    'City Council',
  ],
  sports: [
    'Marathon',
    'Football Tactics',
    'Basketball Drills',
    'Tennis Serve',
    'Cycling',
    'Climbing',
    'Swimming Technique',
    'Yoga Flow',
    'Boxing',
    'Skiing',
  ],
  cooking: [
    'Sourdough',
    'Ramen',
    'Pasta Carbonara',
    'Vegan Curry',
    'Knife Skills',
    'Crème Brûlée',
    'Tacos al Pastor',
    'Dumplings',
    'Meal Prep',
    'Smash Burgers',
  ],
  travel: [
    'Kyoto 京都',
    'Lisbon',
    'Patagonia',
    'Iceland Ring Road',
    'Marrakech',
    'Hanoi',
    'Swiss Alps',
    'New Orleans',
    'Cappadocia',
    'São Paulo',
  ],
  science: [
    'Black Holes',
    'CRISPR',
    'Quantum Computing',
    'Plate Tectonics',
    'Neuroscience',
    'Exoplanets',
    'Fusion Energy',
    'Ocean Currents',
    'Evolution',
    'Superconductors',
  ],
};

export const ANGLES = [
  'Beginner',
  'Advanced',
  'Ultimate',
  'Quick',
  'Deep Dive:',
  'Live:',
  'Explained:',
  'Behind the Scenes:',
  'Top 10',
  'Everything About',
] as const;

export const FORMATS_OF_VIDEO = [
  'Guide',
  'Tutorial',
  'in 10 Minutes',
  'Highlights',
  'Masterclass',
  'Vlog',
  'Review',
  'Challenge',
  'Q&A',
  'Breakdown',
] as const;

export const DESCRIPTION_LINES = [
  'Chapters are in the description below.',
  'Generated captions available in 12 languages.',
  'Filmed in 4K and upscaled with our AI pipeline.',
  'Let us know in the comments what you want to see next!',
  'Sources and further reading linked at the end.',
  'No sponsor, just curiosity.',
  'Part of an ongoing series: subscribe so you do not miss the next one.',
  'Timestamps: 00:00 intro · 01:30 main part · 08:45 wrap-up.',
] as const;

export const FIRST_NAMES = [
  'Ada',
  'Bruno',
  'Chloé',
  'Dmitri',
  'Elif',
  'Farah',
  'Goran',
  'Hana',
  'Ines',
  'Jonas',
  'Kenji',
  'Lena',
  'Mateo',
  'Nadia',
  'Omar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Viktor',
  'Wei',
  'Ximena',
  'Yusuf',
  'Zoë',
] as const;

export const LAST_NAMES = [
  'Adams',
  'Bianchi',
  'Chen',
  'Dubois',
  'Eriksen',
  'Fernández',
  'García',
  'Horvat',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Li',
  'Müller',
  'Nakamura',
  'Okafor',
  'Patel',
  'Quinn',
  'Rossi',
  'Silva',
  'Tanaka',
  'Ueda',
  'Varga',
  'Wójcik',
  'Yilmaz',
  'Zhang',
] as const;

export const LANGUAGES = ['en', 'de', 'fr', 'es', 'ja', 'pt', 'hi'] as const;

/** Container formats with their share of uploads. */
export const VIDEO_FORMATS = [
  ['mp4', 80],
  ['webm', 12],
  ['mov', 8],
] as const satisfies readonly (readonly [string, number])[];

export interface SeedTemplate {
  name: string;
  body: string;
  version: number;
}

/** Templates get the ids tpl_000001… in this order. */
export const SEED_TEMPLATES: readonly SeedTemplate[] = [
  {
    name: 'Welcome email',
    body: 'Hi {{name}},\n\nWelcome to {{site}}! Upload your first video to get started.',
    version: 3,
  },
  {
    name: 'Password reset',
    body: 'Hi {{name}}, use this link to reset your password: {{link}} (valid for 1 hour).',
    version: 2,
  },
  { name: 'Video ready', body: 'Your video "{{title}}" is ready: {{url}}', version: 1 },
  {
    name: 'Video processing failed',
    body: 'We could not process "{{title}}" ({{reason}}). Please try uploading again.',
    version: 2,
  },
  {
    name: 'Weekly digest',
    body: 'This week: {{views}} views, {{likes}} likes and {{shares}} shares across {{videos}} videos.',
    version: 4,
  },
  { name: 'New follower', body: '{{follower}} started following you.', version: 1 },
  { name: 'Comment notification', body: '{{author}} commented on "{{title}}": {{excerpt}}', version: 1 },
  {
    name: 'Share card',
    body: '<meta property="og:title" content="{{title}}"><meta property="og:image" content="{{thumbnail}}">',
    version: 2,
  },
  {
    name: 'Embed player',
    body: '<iframe src="{{origin}}/embed/{{videoId}}" width="{{width}}" height="{{height}}" allowfullscreen></iframe>',
    version: 5,
  },
  { name: 'Captions ready', body: 'AI captions for "{{title}}" are available in {{languages}}.', version: 1 },
  {
    name: 'Thumbnail suggestions',
    body: 'We generated {{count}} thumbnail suggestions for "{{title}}". Pick one: {{url}}',
    version: 1,
  },
  { name: 'Storage quota warning', body: 'You are using {{used}} of {{quota}} of your storage.', version: 2 },
  {
    name: 'Account deletion confirmation',
    body: 'Your account and {{videos}} videos will be deleted on {{date}}.',
    version: 1,
  },
  {
    name: 'Terms of service',
    body: '# Terms of service\n\nBy using {{site}} you agree to upload only content you own…',
    version: 7,
  },
  {
    name: 'Privacy policy',
    body: '# Privacy policy\n\nWe store your email address to send you the notifications you chose…',
    version: 6,
  },
  {
    name: 'Upload guidelines',
    body: 'Accepted formats: {{formats}}. Maximum size: {{maxSizeMb}} MB. Maximum length: {{maxMinutes}} minutes.',
    version: 3,
  },
  { name: 'Trending newsletter', body: 'Trending in {{category}} today: {{titles}}', version: 2 },
  {
    name: 'Milestone reached',
    body: 'Congratulations! "{{title}}" just passed {{milestone}} views 🎉',
    version: 1,
  },
  {
    name: 'Maintenance banner',
    body: 'Scheduled maintenance on {{date}} from {{start}} to {{end}} UTC.',
    version: 1,
  },
  { name: 'Creator payout', body: 'Your payout of {{amount}} for {{month}} is on its way.', version: 2 },
];

/** Configuration entries: key → JSON value. */
export const SEED_CONFIG: readonly (readonly [string, JsonValue])[] = [
  ['site.name', 'vidcache'],
  ['site.supportEmail', 'support@vidcache.example'],
  ['player.autoplay', true],
  ['player.defaultQuality', '1080p'],
  ['player.qualities', ['360p', '480p', '720p', '1080p', '2160p']],
  ['upload.maxSizeMb', 4096],
  ['upload.maxDurationMinutes', 240],
  ['upload.allowedFormats', ['mp4', 'webm', 'mov']],
  ['processing.maxConcurrentJobs', 8],
  ['processing.retryLimit', 3],
  ['ai.captions.enabled', true],
  ['ai.captions.languages', ['en', 'de', 'fr', 'es', 'ja', 'pt', 'hi']],
  ['ai.thumbnails.count', 3],
  ['ai.summary.model', 'vidsum-2'],
  ['feature.comments', true],
  ['feature.liveStreaming', false],
  ['categories.featured', ['education', 'science']],
  ['recommendations.weights', { view: 1, like: 3, share: 5 }],
  ['analytics.retentionDays', 365],
  ['maintenance', { enabled: false, message: null }],
];
