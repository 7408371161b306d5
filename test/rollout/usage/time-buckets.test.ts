import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { BUCKET_FORMAT, bucketLabel, DAY_MS, TIME_GROUPS } from '../../../src/rollout/usage/time-buckets.js';

describe('bucket labels', () => {
  it('are what luxon formats, for every group, from before 1970 to past the year 9999', () => {
    const days = [-800_000, -1, 0, 1, 20_454, 20_820, 2_932_896, 2_932_897, 2_932_900, 3_000_000];
    for (let day = 20_000; day < 21_000; day += 7) days.push(day);
    for (const group of TIME_GROUPS) {
      for (const day of days) {
        const luxon = DateTime.fromMillis(day * DAY_MS, { zone: 'utc' }).toFormat(BUCKET_FORMAT[group]);
        expect(bucketLabel(day, group), `${group} ${day}`).toBe(luxon);
      }
    }
  });
});
