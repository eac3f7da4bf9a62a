/**
 * The benchmark's yardstick: a bundled action that only loads @actions/core and sets one output.
 * bench.ts bundles it with ncc at bench time (no bundle is committed), then runs it exactly as it runs
 * dist/index.js, so "start-up ratio" compares the action to the cheapest action that can exist.
 */
import * as core from '@actions/core';

core.setOutput('ready', 'true');
