// Figures drawn from the book's runs (theme/figures.css says how they are styled).
//
// Loaded by book.toml's output.html.additional-js, after mdBook's book.js. On a screen
// narrower than its drawing (a phone, a window zoomed in) a timeline or a plot scrolls
// sideways; its SVG has tabindex="0", so a keyboard user tabs to it and scrolls it with the
// arrow keys.
// But book.js turns ArrowLeft and ArrowRight into "previous/next chapter" wherever the focus
// is, except in a form field (its chapterNavigation keydown listener on the document). While
// the focus is in a figure that scrolls, those two keys stop at the figure, before reaching
// the document, and do what the browser does with them: scroll it. A figure that shows whole
// leaves them to mdBook. Without JavaScript there is no book.js, and the keys scroll anyway.
(function figures() {
    'use strict';

    document.querySelectorAll('figure.timeline, figure.plot').forEach(function(figure) {
        figure.addEventListener('keydown', function(event) {
            const arrow = event.key === 'ArrowLeft' || event.key === 'ArrowRight';
            if (arrow && figure.scrollWidth > figure.clientWidth + 1) {
                event.stopPropagation();
            }
        });
    });
})();
