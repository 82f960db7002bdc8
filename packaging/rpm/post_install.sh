# The credential root, 0700 root, made only when nothing is there: an existing
# directory (and every credential file in it) is the operator's and is never
# changed, on install or upgrade. cargo-generate-rpm 0.21.1 cannot package an
# empty directory (its `dir = true` assets fail), so it is made here, as the
# .deb's postinst does.
root=/etc/kubernetes/registries
if [ ! -e "$root" ] && [ ! -L "$root" ]; then
  [ -d /etc/kubernetes ] || mkdir -m 0755 /etc/kubernetes
  mkdir -m 0700 "$root" && chown root:root "$root"
fi
