import { isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from './schema.js';

describe('GraphQL schema', () => {
  it('merges every domain SDL and has a resolver for every root field', () => {
    const schema = buildSchema();
    const query = schema.getQueryType()!;
    const mutation = schema.getMutationType()!;
    expect(Object.keys(query.getFields()).sort()).toEqual(
      [
        'activeModel',
        'apiTokens',
        'auditEvents',
        'destination',
        'destinations',
        'failedSends',
        'me',
        'modelPerformance',
        'modelVersions',
        'patient',
        'patients',
        'studies',
        'study',
        'users',
        'verifyAuditLog',
      ].sort(),
    );
    expect(Object.keys(mutation.getFields()).sort()).toEqual(
      [
        'activateModel',
        'changePassword',
        'createApiToken',
        'createDestination',
        'createUser',
        'deleteDestination',
        'login',
        'logout',
        'reprocessStudy',
        'resetPassword',
        'revokeAllCredentials',
        'revokeApiToken',
        'reviewStudy',
        'sendStudyResults',
        'testDestination',
        'updateDestination',
        'updateUser',
      ].sort(),
    );
    for (const root of [query, mutation]) {
      for (const field of Object.values(root.getFields()))
        expect(field.resolve, `${root.name}.${field.name}`).toBeTypeOf('function');
    }
  });

  it('resolves relations that are not plain columns', () => {
    const schema = buildSchema();
    const study = schema.getType('Study');
    expect(isObjectType(study)).toBe(true);
    if (!isObjectType(study)) return;
    for (const name of ['patient', 'series', 'prediction', 'reviews', 'positiveLabels', 'failure', 'sends']) {
      expect(study.getFields()[name]?.resolve, `Study.${name}`).toBeTypeOf('function');
    }
  });
});
