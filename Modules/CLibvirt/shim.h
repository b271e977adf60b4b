// The only header in bootcanary that names libvirt's C API. `Sources/Libvirt` is the only
// Swift that imports this module; nothing above it sees a C type.
#ifndef BOOTCANARY_CLIBVIRT_SHIM_H
#define BOOTCANARY_CLIBVIRT_SHIM_H

#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libvirt/libvirt-qemu.h>

// VIR_DOMAIN_EVENT_CALLBACK() is a cast macro Swift cannot import. The lifecycle callback has
// its own signature; this helper performs the documented cast in C so Swift never needs
// unsafeBitCast on a function pointer.
static inline int CLibvirt_register_lifecycle(virConnectPtr conn,
                                              virConnectDomainEventCallback cb,
                                              void *opaque,
                                              virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}

// virConnectAuthPtrDefault is a mutable C global; Swift 6 refuses to read it from concurrent
// code. Opening through this helper keeps virsh's behaviour (prompting callbacks for
// ssh/sasl) without Swift ever touching the global.
static inline virConnectPtr CLibvirt_open(const char *uri, unsigned int flags) {
    return virConnectOpenAuth(uri, virConnectAuthPtrDefault, flags);
}

#endif
