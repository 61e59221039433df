// Where the map's tiles come from, as the server is configured (GET /rider/config.json: MAP_TILE_URL,
// MAP_TILE_COORD_SYS, MAP_TILE_ATTRIBUTION). With no tile server the map still works: the jurisdiction
// polygons (grids, communities) are drawn on a plain background, which is what a rider needs to put the
// pin on the right street corner. Kept on the phone for the days without signal.

export interface TileConfig {
  url: string;
  /** The coordinate system the tiles are drawn in: Chinese web maps (Amap, Tencent) are GCJ-02. */
  coordSys: 'wgs84' | 'gcj02';
  attribution: string;
  maxZoom: number;
}

const KEY = 'gridline.mapConfig';

export async function tileConfig(): Promise<TileConfig | null> {
  try {
    const answer = await fetch('/rider/config.json', { cache: 'no-store' });
    if (answer.ok) {
      const config = ((await answer.json()) as { tiles: TileConfig | null }).tiles;
      localStorage.setItem(KEY, JSON.stringify(config));
      return config;
    }
  } catch {
    // offline: last known
  }
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? 'null') as TileConfig | null;
  } catch {
    return null;
  }
}
