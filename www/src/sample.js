// The built-in sample: real Debian 6.1 kernel BTF from tests/fixtures
// (vmlinux and a few modules' .BTF sections, xz'd), bundled with the page
// so it loads without any network beyond the page's own origin.

const SAMPLE = [
  { path: 'sample/vmlinux.btf.xz', url: new URL('../../tests/fixtures/vmlinux.btf.xz', import.meta.url) },
  { path: 'sample/nfs.btf.xz', url: new URL('../../tests/fixtures/nfs.btf.xz', import.meta.url) },
  { path: 'sample/mlx5_core.btf.xz', url: new URL('../../tests/fixtures/mlx5_core.btf.xz', import.meta.url) },
];

/** The sample as { file, path } entries, like dropped files. */
export async function sampleFiles() {
  return Promise.all(
    SAMPLE.map(async ({ path, url }) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`sample ${path}: HTTP ${response.status}`);
      const name = path.split('/').pop();
      return { file: new File([await response.blob()], name), path };
    }),
  );
}
