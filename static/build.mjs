// Builds the GOV.UK / MOJ assets into static/build (git-ignored): compiled CSS, the design systems'
// UMD JavaScript bundles, our own scripts, fonts and images. Django's collectstatic then gives
// them hashed names. Only the files we need are copied; node_modules is never exposed.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as sass from 'sass'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const out = join(root, 'static', 'build')
const govuk = join(root, 'node_modules', 'govuk-frontend', 'dist', 'govuk')
const moj = join(root, 'node_modules', '@ministryofjustice', 'frontend', 'moj')

rmSync(out, { recursive: true, force: true })
for (const dir of ['css', 'js', 'fonts', 'images']) mkdirSync(join(out, dir), { recursive: true })

const css = sass.compile(join(root, 'static', 'scss', 'application.scss'), {
  style: 'compressed',
  loadPaths: [root, join(root, 'node_modules')],
  quietDeps: true,
  silenceDeprecations: ['import']
})
writeFileSync(join(out, 'css', 'application.css'), css.css)

// Source maps are not shipped, so their references are dropped (collectstatic would fail on them).
const withoutSourceMap = (from, to) =>
  writeFileSync(to, readFileSync(from, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, ''))
withoutSourceMap(join(govuk, 'all.bundle.js'), join(out, 'js', 'govuk-frontend.js'))
withoutSourceMap(join(moj, 'all.bundle.js'), join(out, 'js', 'moj-frontend.js'))
cpSync(join(root, 'static', 'js'), join(out, 'js'), { recursive: true })
cpSync(join(govuk, 'assets', 'fonts'), join(out, 'fonts'), { recursive: true })
cpSync(join(govuk, 'assets', 'images'), join(out, 'images'), { recursive: true })
cpSync(join(moj, 'assets', 'images'), join(out, 'images'), { recursive: true })
cpSync(join(govuk, 'assets', 'manifest.json'), join(out, 'manifest.json'))

console.log(`Built assets into ${out}`)
