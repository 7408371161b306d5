// No imports on purpose: the dashboard (web/) uses this module too, to fold injected context in a transcript.

/**
 * Codex injects context into the conversation as user-role messages (environment, AGENTS.md,
 * permissions, shell-command echoes...). None of them is something the user typed.
 */
const INJECTED_PREFIXES = [
  '<environment_context>',
  '<user_instructions>',
  '<permissions',
  '# agents.md instructions',
  '<instructions>',
  '<user_shell_command>',
  '<turn_aborted>',
  '<subagent_notification>',
  '<additional_context>',
  '<skill',
  '<collaboration_mode>',
  '<model_switch>',
  '<personality_spec>',
  '<token_budget>',
  '<rollout_budget>',
];

export function isInjectedContext(text: string): boolean {
  const start = text.trimStart().slice(0, 64).toLowerCase();
  return INJECTED_PREFIXES.some((prefix) => start.startsWith(prefix));
}
