// A setup file of every project: fast-check draws the same cases on every run, so that a test
// passes or fails the same way in CI and here (a random seed once failed a clean-clone run on a
// real defect: docs/testing.md, "Property tests"). FC_SEED=<n> explores other cases by hand.
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });
