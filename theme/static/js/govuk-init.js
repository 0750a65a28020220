// GOV.UK Frontend's components, started from a file so the Content-Security-Policy can
// refuse inline scripts (see subscriber_lambda/site_policy.py).
import { initAll } from '../build/govuk-frontend.min.js'

initAll()

// On a phone the menu is one line that scrolls sideways: show the current section in it.
const current = document.querySelector('.council-nav__link[aria-current]')
const menu = current && current.closest('.council-nav__list')
if (menu && menu.scrollWidth > menu.clientWidth) {
  menu.scrollLeft = current.offsetLeft - (menu.clientWidth - current.offsetWidth) / 2
}
