# On erase ($1 = 0, not on upgrade) the credential root goes only if it is
# empty: credential files are the operator's, never the package's.
if [ "$1" = 0 ] && [ -d /etc/kubernetes/registries ] && [ ! -L /etc/kubernetes/registries ]; then
  rmdir /etc/kubernetes/registries 2>/dev/null || true
fi
