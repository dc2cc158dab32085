// The composition root's list of areas, in registration order. Each area is reached only
// through its index.ts.
import type { AreaModule } from './area.ts';
import { imagesArea } from '../images/index.ts';
import { tenancyArea } from '../tenancy/index.ts';

/** Every area that joins the server. */
export const areas: readonly AreaModule[] = [imagesArea, tenancyArea];
