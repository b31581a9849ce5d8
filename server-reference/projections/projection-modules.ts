import { locate } from '../store-module.js';
import { checkDefinition, checkDefinitions, ProjectionDefinitionError, type ProjectionDefinition } from './projection-definition.js';

/** A projection module named by a configuration file, with the directory it is relative to. */
export interface ProjectionModuleSpec {
  /** A path starting with ./ or ../ (relative to `baseDir`) or absolute, or a package name. */
  readonly module: string;
  /** The configuration file's directory. */
  readonly baseDir: string;
}

/**
 * Loads the projection modules of a configuration (`projections`), each of which exports a
 * definition or an array of definitions as its default export, and checks every definition.
 *
 * @throws ProjectionDefinitionError naming the module (`projections[i]`) and what is wrong: it
 * cannot be found or loaded, has no default export of the right form, or a definition is not one
 * (or two share a name).
 */
export async function loadProjectionModules(specs: readonly ProjectionModuleSpec[]): Promise<ProjectionDefinition[]> {
  const definitions: ProjectionDefinition[] = [];
  const origins = new Map<string, string>();
  for (const [index, spec] of specs.entries()) {
    const where = `projections[${index}] (${spec.module})`;
    let exports: Record<string, unknown>;
    try {
      exports = (await import(locate(spec.module, spec.baseDir, `projection module "${spec.module}"`))) as Record<string, unknown>;
    } catch (error) {
      throw new ProjectionDefinitionError(`${where}: cannot load the module: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const exported = exports['default'];
    if (exported === undefined) {
      throw new ProjectionDefinitionError(`${where}: the module has no default export; export a projection definition or an array of them as default`);
    }
    const list: unknown[] = Array.isArray(exported) ? exported : [exported];
    if (list.length === 0) throw new ProjectionDefinitionError(`${where}: the module's default export is an empty array`);
    for (const candidate of list) {
      let definition: ProjectionDefinition;
      try {
        definition = checkDefinition(candidate, 'the default export');
      } catch (error) {
        throw new ProjectionDefinitionError(`${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      const first = origins.get(definition.name);
      if (first !== undefined) throw new ProjectionDefinitionError(`${where}: projection "${definition.name}" is defined twice (also in ${first})`);
      origins.set(definition.name, where);
      definitions.push(definition);
    }
  }
  return checkDefinitions(definitions);
}
