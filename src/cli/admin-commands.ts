/** `engram users …` and `engram keys …` (placeholder until the admin CLI lands). */
import type { Command } from "commander";

export function registerAdminCommands(_program: Command): void {}
