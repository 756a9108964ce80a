// Proof of work for the forms marked `data-pow` (sign-up, forgot password): before the form is sent, fetch an ALTCHA
// challenge from the URL in `data-pow`, find the number n (0 ≤ n ≤ maxnumber) for which
// SHA-256(salt + n) is the challenge, and put base64(JSON {algorithm, challenge, number, salt,
// signature}) in the hidden `pow` field; then send the form. Progress goes to the element named by
// `data-pow-status` (an aria-live region), in the page's words (`data-pow-checking`, `data-pow-done`). Served as /assets/pow.js (same origin: CSP 'self').
/* global document, window */
(() => {
  'use strict';
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');
  const encoder = new TextEncoder();

  // Hashed in batches: one digest at a time would wait a turn of the event loop for each.
  const BATCH = 1000;
  async function solve(challenge) {
    for (let start = 0; start <= challenge.maxnumber; start += BATCH) {
      const numbers = [];
      for (let n = start; n < start + BATCH && n <= challenge.maxnumber; n += 1) numbers.push(n);
      const digests = await Promise.all(numbers.map((n) => crypto.subtle.digest('SHA-256', encoder.encode(challenge.salt + n))));
      const found = digests.findIndex((digest) => hex(digest) === challenge.challenge);
      if (found >= 0) return numbers[found];
    }
    return undefined;
  }

  for (const form of document.querySelectorAll('form[data-pow]')) {
    const status = document.getElementById(form.dataset.powStatus || '');
    const field = form.elements.namedItem('pow');
    const button = form.querySelector('button[type="submit"]');
    const say = (text) => {
      if (status) status.textContent = text;
    };
    let solved = false;
    let busy = false;
    form.addEventListener('submit', async (event) => {
      if (solved || !field || !window.crypto || !crypto.subtle) return;
      event.preventDefault();
      if (busy) return;
      busy = true;
      if (button) button.disabled = true;
      say(form.dataset.powChecking || '');
      try {
        const response = await fetch(form.dataset.pow, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' });
        if (!response.ok) throw new Error('challenge');
        const challenge = await response.json();
        const number = await solve(challenge);
        if (number === undefined) throw new Error('unsolved');
        const { algorithm, salt, signature } = challenge;
        field.value = btoa(JSON.stringify({ algorithm, challenge: challenge.challenge, number, salt, signature }));
        solved = true;
        say(form.dataset.powDone || '');
        // The browser's own validation already ran for this submit; requestSubmit would run it again.
        form.submit();
      } catch {
        // Sent without a proof: the server answers with the form and a clear message.
        say('');
        solved = true;
        form.submit();
      } finally {
        busy = false;
        if (button) button.disabled = false;
      }
    });
  }
})();
