// fence_virtd's is_uuid (fence-virt server/libvirt.c): libuuid's uuid_parse accepts
// exactly the 36-character 8-4-4-4-12 hex form, and the round trip compares
// case-insensitively, so either hex case counts.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when a request's domain string names a UUID rather than a domain name. */
export function isUuid(domain: string): boolean {
  return UUID.test(domain);
}
