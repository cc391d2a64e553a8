// copilot-runtime-rs — CommonJS entry. The public surface mirrors @copilotkit/runtime 1.10.6
// (see index.d.ts); the work is done by the native addon loaded in lib/native.js.
'use strict';

module.exports = {
  ...require('./lib/surface'),
  ...require('./lib/runtime'),
  ...require('./lib/endpoints'),
};
