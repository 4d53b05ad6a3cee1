// The spec page: the app's YAML as stored (comments kept), Validate (propose) and Save (a
// new spec version and a deployment).

import { appId, refresh, startAppPage } from "./shell.js";
import { SpecEditor } from "./spec.js";

const editor = new SpecEditor(appId, refresh);
startAppPage({ render: (app) => editor.update(app) });
