namespace HappiTrack.E2E.Infrastructure;

/// <summary>Checks of a page's layout that run in the browser.</summary>
public static class PageLayout
{
    /// <summary>
    /// Null when the page fits; otherwise how wide it is and the outermost elements that stick out
    /// (an element whose parent fits and that no scroll container clips), which is where the fix goes.
    /// </summary>
    public const string OverflowScript = """
        () => {
          const width = window.innerWidth;
          const scrollWidth = document.documentElement.scrollWidth;
          if (scrollWidth <= width) return null;
          const sticksOut = e => e.getBoundingClientRect().right > width + 1;
          const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return true; return false; };
          // An absolutely placed element (a visually hidden label) may escape a scroll container that is not positioned.
          const placed = e => ['absolute', 'fixed'].includes(getComputedStyle(e).position);
          const culprits = Array.from(document.querySelectorAll('body *'))
            .filter(e => sticksOut(e) && (placed(e) || !clipped(e)) && !(e.parentElement && sticksOut(e.parentElement) && !placed(e)))
            .slice(0, 6)
            .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''} (right ${Math.round(e.getBoundingClientRect().right)})`);
          return `${scrollWidth}px wide in a ${width}px window; sticking out: ${culprits.join(', ')}`;
        }
        """;
}
