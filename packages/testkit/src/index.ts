export {
  createPostgresDatabase,
  createSqliteDatabase,
  createTestDatabase,
  POSTGRES_SERVER_URL,
  PROVIDERS,
  type Provider,
  runSql,
  type SqliteTestDatabase,
  type TestDatabase,
} from './databases.js';
