// Media: uploads, copies and published (redacted) copies. What a media item is (MediaInfoSchema) is
// shared with the cases' evidence (../../schemas.ts).

import { Type } from 'typebox';
import { MediaInfoSchema } from '../../schemas.js';

export const VariantQuery = Type.Object({
  variant: Type.Optional(Type.Union(['display', 'thumb', 'poster', 'video', 'audio', 'original'].map((v) => Type.Literal(v)), { description: 'Which copy (default display): audio is a voice note as recorded' })),
});

const Region = Type.Object(
  {
    x: Type.Number({ minimum: 0, maximum: 1 }),
    y: Type.Number({ minimum: 0, maximum: 1 }),
    width: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    height: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  },
  { additionalProperties: false, description: 'A rectangle as fractions of the image (0 to 1)' },
);
export const PublishBody = Type.Object({ regions: Type.Array(Region, { maxItems: 50, default: [] }) }, { additionalProperties: false });

/** POST /media: one file's media (a raw body), or each file's (a form). */
export const UploadAnswer = Type.Union([MediaInfoSchema, Type.Object({ media: Type.Array(MediaInfoSchema) }, { additionalProperties: false })]);
