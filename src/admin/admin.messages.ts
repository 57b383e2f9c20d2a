export const adminTokenUnset = () => 'ADMIN_TOKEN is unset: /admin endpoints answer 401 to everyone';
