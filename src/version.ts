/** The package version, in one place for the CLI, the OpenAPI document and MCP. */
export const VERSION = "0.1.0";
