/**
 * The pg pool the registry repositories use. Bound in RegistryModule to the pool @sluice/db provides,
 * so the repositories do not depend on how the app builds it.
 */
export const REGISTRY_POOL = Symbol('REGISTRY_POOL');
