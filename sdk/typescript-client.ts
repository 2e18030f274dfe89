// The TypeScript client: the types openapi-typescript generates from openapi/openapi.json
// (`openapi.ts`, beside this file in build/sdk/typescript) and openapi-fetch to call with them.
import createClient from "openapi-fetch";
import type { paths } from "./openapi.js";

export type { components, operations, paths } from "./openapi.js";

/** A client for one caller: every call is typed by path, method, parameters and body. */
export function createWorkordersClient(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}
