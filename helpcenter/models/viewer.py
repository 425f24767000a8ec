"""Who is looking: an anonymous visitor, a customer (contact) or a staff member of the tenant."""
from __future__ import annotations

from dataclasses import dataclass

from core.models import Contact, Membership, Tenant, User


@dataclass(frozen=True)
class Viewer:
    tenant: Tenant
    user: User | None = None
    contact: Contact | None = None
    membership: Membership | None = None
    token_staff: bool = False  # an API token of the tenant acts as its staff

    @classmethod
    def of(cls, request) -> "Viewer":
        user = request.user if request.user.is_authenticated else None
        return cls(tenant=request.tenant, user=user, contact=getattr(request, "contact", None),
                   membership=getattr(request, "membership", None))

    @property
    def is_staff(self) -> bool:
        return self.membership is not None or self.token_staff

    @property
    def is_customer(self) -> bool:
        return self.contact is not None

    @property
    def can_write(self) -> bool:
        """Posting on the forum and suggesting: the tenant's customers and staff, not strangers."""
        return self.is_staff or self.is_customer

    @property
    def visibilities(self) -> tuple[str, ...]:
        from helpcenter.models.kb import Visibility

        if self.is_staff:
            return (Visibility.PUBLIC, Visibility.CUSTOMERS, Visibility.INTERNAL)
        if self.is_customer:
            return (Visibility.PUBLIC, Visibility.CUSTOMERS)
        return (Visibility.PUBLIC,)

    @property
    def name(self) -> str:
        if self.contact is not None:
            return self.contact.name
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return ""
