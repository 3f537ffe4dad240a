// The shop's own cart. It tells HappiTrack about the add through the tracker's JS API; window.happitrack is
// absent when the tracker did not load (blocked, or the visitor opted out), so the shop never depends on it.
document.getElementById('add-to-cart').addEventListener('click', function (e) {
  var slug = e.currentTarget.getAttribute('data-slug');
  e.currentTarget.textContent = 'Added';
  if (window.happitrack) window.happitrack.track('add_to_cart', { slug: slug });
});
