import { z } from 'zod';
import { SCOPES } from '../auth/token-store.js';
import { IsoTimestampSchema } from './common.js';

/** `GET/POST /session`: whether the dashboard must log in, and the session it holds. */
export const SessionStateSchema = z
  .object({
    tokens_required: z.boolean().describe('Whether this server requires API tokens (then the dashboard shows its login form)'),
    signed_in: z.boolean().describe('Whether the request carried a live session cookie'),
    token_name: z.string().nullable().describe('The token the session was made from (never its secret)'),
    scope: z.enum(SCOPES).nullable().describe("What the session may do: never more than its token's current scope"),
    expires_at: IsoTimestampSchema.nullable(),
    csrf_token: z.string().nullable().describe('Send it as X-CSRF-Token on every request that changes state and is authenticated by the cookie'),
  })
  .meta({ id: 'SessionState' });

export const LoginRequestSchema = z.strictObject({}).optional();

export const LogoutResponseSchema = z.object({ signed_in: z.literal(false) }).meta({ id: 'LogoutResponse' });

export type SessionState = z.infer<typeof SessionStateSchema>;
