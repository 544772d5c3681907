// Listings and terminal output for "Async Rust for the Working Rust Developer".
//
// Loaded by book.toml's output.html.additional-js, after mdBook's book.js: by then highlight.js
// has run and every code block has its copy button. This file
//   - marks "Listing N-M:" in listing captions so the stylesheet can set it apart, and lets the
//     file path wrap after a "/";
//   - redraws ```console blocks: highlight.js 10.1 (bundled with mdBook 0.5.4) treats `console`
//     as a shell session and takes any line that starts like a prompt for a command (rustc's
//     "  --> src/main.rs:3:5", "result> done"), so its colours are discarded and each line is
//     marked as prompt, command or output from the text itself;
//   - makes the copy button of a console block copy the command(s) only, without "$ " and
//     without the output (a reader copies a command to run it);
//   - makes the page usable by keyboard and screen reader where mdBook's markup is not:
//     "Copied" is announced in a live region, the sidebar toggle is a focusable button, and a
//     code block or table that scrolls sideways can be focused and scrolled with the keys;
//   - opens every <details> (a listing's dependencies) while the page prints.
// It makes no network request.
(function listingsAndConsoles() {
    'use strict';

    // ----- Listing captions

    document.querySelectorAll('figure.listing > figcaption').forEach(function(caption) {
        const first = caption.firstChild;
        if (!first || first.nodeType !== Node.TEXT_NODE) {
            return;
        }
        const match = /^\s*(Listing\s+[\w.-]+:?)/.exec(first.nodeValue);
        if (!match) {
            return;
        }
        const label = document.createElement('span');
        label.className = 'listing-label';
        label.textContent = match[1];
        first.nodeValue = first.nodeValue.slice(match[0].length);
        caption.insertBefore(label, first);
    });

    // Let long file paths wrap after a "/" and nowhere else: each part between two "/" is
    // kept whole (a hyphen would otherwise be a break opportunity), with a <wbr> after "/".
    document.querySelectorAll('figure.listing > figcaption > code:first-of-type').forEach(function(code) {
        if (code.children.length > 0 || !code.textContent.includes('/')) {
            return;
        }
        const parts = code.textContent.split('/');
        code.textContent = '';
        parts.forEach(function(part, index) {
            if (index > 0) {
                code.appendChild(document.createTextNode('/'));
                code.appendChild(document.createElement('wbr'));
            }
            const segment = document.createElement('span');
            segment.className = 'path-segment';
            segment.textContent = part;
            code.appendChild(segment);
        });
    });

    // ----- Console blocks

    function copyWithSelection(text) {
        // Fallback for pages served over plain http from another host, where
        // navigator.clipboard does not exist; the same mechanism clipboard.js uses.
        const area = document.createElement('textarea');
        area.value = text;
        area.setAttribute('readonly', '');
        area.style.position = 'fixed';
        area.style.top = '-1000px';
        area.style.opacity = '0';
        document.body.appendChild(area);
        area.select();
        let copied = false;
        try {
            copied = document.execCommand('copy');
        } catch {
            copied = false;
        }
        area.remove();
        return copied;
    }

    function copyText(text) {
        if (navigator.clipboard && window.isSecureContext) {
            return navigator.clipboard.writeText(text).then(
                function() {
                    return true;
                },
                function() {
                    return copyWithSelection(text);
                });
        }
        return Promise.resolve(copyWithSelection(text));
    }

    function showTooltip(button, message) {
        // Same markup and classes as book.js, so its mouseout handler hides it again.
        if (button.firstChild) {
            button.firstChild.innerText = message;
        }
        button.className = 'clip-button tooltipped';
    }

    function span(className, text) {
        const element = document.createElement('span');
        element.className = className;
        element.textContent = text;
        return element;
    }

    document.querySelectorAll('pre > code.language-console').forEach(function(code) {
        const pre = code.parentElement;
        const text = code.textContent;
        const endsWithNewline = text.endsWith('\n');
        const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n');

        const commands = [];
        const rendered = document.createDocumentFragment();
        let continued = false; // the previous command line ended with a backslash
        lines.forEach(function(line, index) {
            if (index > 0) {
                rendered.appendChild(document.createTextNode('\n'));
            }
            if (continued || line === '$' || line.startsWith('$ ')) {
                const command = continued ? line : line.slice(2);
                if (!continued) {
                    rendered.appendChild(span('console-prompt', line.slice(0, 2)));
                    commands.push(command);
                } else {
                    commands[commands.length - 1] += '\n' + command;
                }
                rendered.appendChild(span('console-command', command));
                continued = command.endsWith('\\');
            } else {
                rendered.appendChild(span('console-output', line));
            }
        });
        if (endsWithNewline) {
            rendered.appendChild(document.createTextNode('\n'));
        }

        code.replaceChildren(rendered);
        code.classList.remove('shell', 'bash');
        code.classList.add('console-rendered');
        pre.classList.add('console');

        const button = pre.querySelector('.buttons > .clip-button');
        if (!button) {
            return;
        }
        if (commands.length === 0) {
            // Output alone: nothing a reader would paste into a terminal.
            button.remove();
            return;
        }
        const title = commands.length === 1 ? 'Copy command' : 'Copy commands';
        button.title = title;
        button.setAttribute('aria-label', title);
        button.addEventListener('click', function(event) {
            // Keep the click from reaching clipboard.js (it listens on <body>), which would
            // copy the whole block, prompt and output included.
            event.stopPropagation();
            event.preventDefault();
            copyText(commands.join('\n')).then(function(copied) {
                showTooltip(button, copied ? 'Copied!' : 'Clipboard error!');
            });
        });
    });

    // ----- Keyboard and screen readers

    // "Copied!" appears as a tooltip inside the button (book.js and showTooltip above set the
    // class "tooltipped"); a screen reader hears it through a polite live region.
    const status = document.createElement('div');
    status.className = 'visually-hidden';
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    status.id = 'copy-status';
    document.body.appendChild(status);
    const announce = new MutationObserver(function(records) {
        records.forEach(function(record) {
            const button = record.target;
            if (!button.classList.contains('tooltipped')) {
                return;
            }
            const message = (button.textContent || '').trim().replace(/!$/, '');
            // Emptied first, so the same words twice in a row are announced twice.
            status.textContent = '';
            window.setTimeout(function() {
                status.textContent = message;
            }, 50);
        });
    });
    document.querySelectorAll('.clip-button').forEach(function(button) {
        announce.observe(button, { attributes: true, attributeFilter: ['class'] });
        // book.js hides the tooltip on mouseout only; do the same when focus leaves.
        button.addEventListener('blur', function() {
            if (button.classList.contains('tooltipped')) {
                button.firstChild.innerText = '';
                button.className = 'clip-button';
            }
        });
    });

    // mdBook's sidebar toggle is a <label> for a hidden checkbox: not focusable, and its
    // aria-label and aria-expanded are not allowed on a label. Make it a button.
    const sidebarToggle = document.getElementById('mdbook-sidebar-toggle');
    if (sidebarToggle && sidebarToggle.tagName === 'LABEL') {
        sidebarToggle.setAttribute('role', 'button');
        sidebarToggle.tabIndex = 0;
        sidebarToggle.addEventListener('keydown', function(event) {
            if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                sidebarToggle.click();
            }
        });
    }

    // A block that scrolls sideways must be reachable by keyboard to be scrolled (WCAG 2.1.1):
    // code blocks and mdBook's table wrappers get tabindex="0" while they overflow.
    function markScrollable() {
        document.querySelectorAll('pre > code, .table-wrapper').forEach(function(element) {
            const scrolls = element.scrollWidth > element.clientWidth + 1;
            if (scrolls && !element.hasAttribute('tabindex')) {
                element.tabIndex = 0;
                element.dataset.scrollFocus = '';
            } else if (!scrolls && 'scrollFocus' in element.dataset) {
                element.removeAttribute('tabindex');
                delete element.dataset.scrollFocus;
            }
        });
    }
    markScrollable();
    let resizeTimer;
    window.addEventListener('resize', function() {
        window.clearTimeout(resizeTimer);
        resizeTimer = window.setTimeout(markScrollable, 150);
    });

    // ----- Print: every listing's dependencies on paper

    let openedForPrint = [];
    window.addEventListener('beforeprint', function() {
        openedForPrint = Array.from(document.querySelectorAll('details:not([open])'));
        openedForPrint.forEach(function(details) {
            details.open = true;
        });
    });
    window.addEventListener('afterprint', function() {
        openedForPrint.forEach(function(details) {
            details.open = false;
        });
        openedForPrint = [];
    });
})();
