// GOV.UK Frontend's components, started from a file so the Content-Security-Policy can
// refuse inline scripts (see subscriber_lambda/site_policy.py).
import { initAll } from '../build/govuk-frontend.min.js'

initAll()
