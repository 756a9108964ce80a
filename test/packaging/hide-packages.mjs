// `node --import ./hide-packages.mjs`: the packages named in GATEHOUSE_HIDE_PACKAGES (comma-separated)
// resolve as if they were not installed, the way `npm install --omit=optional` leaves them out.
import { register } from 'node:module';

const hidden = (process.env.GATEHOUSE_HIDE_PACKAGES ?? '').split(',').filter(Boolean);
register('./hide-packages-hooks.mjs', import.meta.url, { data: { hidden } });
