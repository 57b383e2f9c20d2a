import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Length in Unicode code points (what PostgreSQL counts as characters), not UTF-16 units. */
function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}

/**
 * A string of `min` to `max` characters, counted as PostgreSQL counts them (code points), so a
 * value accepted here always fits its column. class-validator's `@Length` counts differently (it
 * discounts variation selectors), which would let a 64-character category with emoji through to
 * the database.
 */
export const TextLength = (min: number, max: number, options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'textLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          // Code points <= UTF-16 units <= 2 × code points: most values are decided without counting.
          if (value.length < min || value.length > 2 * max) return false;
          const length = codePointLength(value);
          return length >= min && length <= max;
        },
        defaultMessage: (args) =>
          min === max
            ? `${args?.property ?? 'value'} must be ${min} characters long`
            : `${args?.property ?? 'value'} must be ${min} to ${max} characters long`,
      },
    },
    options,
  );
