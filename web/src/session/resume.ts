// What the session page offers to copy to resume a session: the export's rule (one rule, no DOM).
export { resumeCommand } from '../../../src/rollout/transcript/resume.js';
