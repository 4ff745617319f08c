// The maintenance estimate of a tenant move alone: a pure function of the tenant's size.
import { describe, expect, it } from "vitest";
import { durationText, MOVE_BYTES_PER_SECOND, MOVE_FIXED_SECONDS, moveMaintenance, sizeText } from "../../../lib/plan/move-estimate";

describe("moveMaintenance", () => {
  it("estimates from the size: fixed overhead plus bytes over the measured rate, rounded to what an estimate can claim", () => {
    expect([MOVE_BYTES_PER_SECOND, MOVE_FIXED_SECONDS]).toEqual([5_000_000, 1]);
    expect(moveMaintenance(0)).toBe("about 1 s (0 bytes of rows and objects at about 5 MB/s, plus 1 s)");
    expect(moveMaintenance(280_000_000)).toBe("about 1 min (280 MB of rows and objects at about 5 MB/s, plus 1 s)");
    expect(moveMaintenance(5_700_000_000)).toBe("about 19 min (5.7 GB of rows and objects at about 5 MB/s, plus 1 s)");
    expect(moveMaintenance(60_000_000_000)).toBe("about 3.3 h (60 GB of rows and objects at about 5 MB/s, plus 1 s)");
  });

  it("without a size, says the plan does not know it, how the time scales, and how to get an estimate", () => {
    expect(moveMaintenance(undefined)).toBe("size not known to the plan: the time to copy its rows and objects, about 5 MB/s plus 1 s; pass --sizes to estimate");
  });
});

describe("durationText", () => {
  it("says seconds in fives under a minute, whole minutes under an hour and a half, then hours", () => {
    expect([3.2, 7.6, 12, 41, 54].map(durationText)).toEqual(["about 3 s", "about 8 s", "about 10 s", "about 40 s", "about 55 s"]);
    expect([55, 89, 600, 5369].map(durationText)).toEqual(["about 1 min", "about 1 min", "about 10 min", "about 89 min"]);
    expect([5370, 7560, 35_800, 36_000, 360_000].map(durationText)).toEqual(["about 1.5 h", "about 2.1 h", "about 9.9 h", "about 10 h", "about 100 h"]);
  });
});

describe("sizeText", () => {
  it("uses decimal units, as the rate's MB/s, with one decimal under 10", () => {
    expect([0, 999, 1000, 12_345, 5_400_000_000, 75_000_000_000, 2_000_000_000_000].map(sizeText)).toEqual(["0 bytes", "999 bytes", "1 kB", "12 kB", "5.4 GB", "75 GB", "2 TB"]);
  });
});
