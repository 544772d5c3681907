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
//     without the output (a reader copies a command to run it).
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

    // Let long file paths wrap after a "/" instead of in the middle of a name.
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
            code.appendChild(document.createTextNode(part));
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
})();
