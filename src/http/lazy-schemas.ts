import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = ReturnType<typeof AjvCompiler>;
type SerializerFactory = ReturnType<typeof SerializerSelector>;

/**
 * Fastify's own schema compilers (ajv for requests, fast-json-stringify for responses), each
 * route's schema compiled on its first use instead of before the server listens. Compiling every
 * route's schemas took about a fifth of the start-up time, much of it for response schemas
 * that routes writing their own bodies never use.
 */
export function lazySchemaCompilers(): NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'] {
  const buildValidator: ValidatorFactory = AjvCompiler();
  const buildSerializer: SerializerFactory = SerializerSelector();
  return {
    buildValidator: (externalSchemas: unknown, options: unknown) => {
      let compiler: ReturnType<ValidatorFactory> | undefined;
      return (route: Parameters<ReturnType<ValidatorFactory>>[0]) => {
        let validate: ReturnType<ReturnType<ValidatorFactory>> | undefined;
        // Fastify reads a failed validation's errors from the function it was given.
        const lazy = Object.assign(
          (data: unknown) => {
            validate ??= (compiler ??= buildValidator(externalSchemas as never, options as never))(route);
            const valid = validate(data);
            lazy.errors = (validate as { errors?: unknown }).errors;
            return valid;
          },
          { errors: undefined as unknown },
        );
        return lazy as never;
      };
    },
    buildSerializer: (externalSchemas, options) => {
      let compiler: ReturnType<SerializerFactory> | undefined;
      return (route) => {
        let serialize: ReturnType<ReturnType<SerializerFactory>> | undefined;
        return (doc: unknown) => (serialize ??= (compiler ??= buildSerializer(externalSchemas, options as never))(route))(doc);
      };
    },
  };
}
