import { Type } from 'typebox';
import { SOURCE_VALUES } from '../rollout/listing/filters.js';

/** The filters on what a session is (its project, source, provider): the list, search and usage take them. */
export const sessionSelectors = {
  cwd: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      maxItems: 50,
      description: 'Session cwd, exact after normalisation (trailing slashes, . and .. segments); repeatable',
    }),
  ),
  source: Type.Optional(
    Type.Array(Type.Enum([...SOURCE_VALUES]), {
      maxItems: 8,
      description: 'Where the session came from; interactive = cli + vscode; repeatable',
    }),
  ),
  provider: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      maxItems: 50,
      description: 'Model provider; a session without one counts as openai; repeatable',
    }),
  ),
};
