// "Copy" on the preview's CSV blocks (templates/migrations_ui/_macros.html, csv_block).
// Progressive enhancement: without JavaScript, or without a clipboard the page may write to, the
// read-only textarea and its "Download CSV" link are all there is, and no button shows. With
// them, the button kept in each block's <template> is put on the page; pressing it copies the
// textarea's text and says "Copied" (or that it could not) in the block's live region, which
// screen readers announce.
(function () {
  'use strict'

  if (!navigator.clipboard || !navigator.clipboard.writeText) return

  document.querySelectorAll('[data-copy-block]').forEach(function (block) {
    var textarea = document.getElementById(block.getAttribute('data-copy-block'))
    var template = block.querySelector('template[data-copy-button]')
    var status = block.querySelector('[data-copy-status]')
    if (!textarea || !template || !status) return
    var button = template.content.firstElementChild.cloneNode(true)
    template.parentNode.replaceChild(button, template)

    button.addEventListener('click', function () {
      // Emptied first, so a second copy of the same block is announced again.
      status.textContent = ''
      navigator.clipboard.writeText(textarea.value).then(
        function () { status.textContent = status.getAttribute('data-copied') },
        function () { status.textContent = status.getAttribute('data-failed') }
      )
    })
  })
})()
