"""Categories of tickets and the products the tenant supports."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.access import tenant_admin_required
from plans.models import Product, code_validator
from plans.services import product_save
from tickets.models import Category
from tickets.services import category_save


class CategoryForm(forms.Form):
    code = forms.SlugField(label=capfirst(gettext_lazy("code")), max_length=40, validators=[code_validator])
    name = forms.CharField(label=capfirst(gettext_lazy("name")), max_length=200)
    is_bug = forms.BooleanField(label=capfirst(gettext_lazy("counts as a bug")), required=False)
    in_scope = forms.BooleanField(label=capfirst(gettext_lazy("covered by the plans")), required=False)
    position = forms.IntegerField(label=capfirst(gettext_lazy("position")), min_value=0, max_value=32767, initial=0)
    active = forms.BooleanField(label=capfirst(gettext_lazy("active")), required=False, initial=True)


class ProductForm(forms.Form):
    code = forms.SlugField(label=capfirst(gettext_lazy("code")), max_length=40, validators=[code_validator])
    name = forms.CharField(label=capfirst(gettext_lazy("name")), max_length=200)


def _errors(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@tenant_admin_required
def catalogue(request):
    categories = Category.objects.for_tenant(request.tenant).order_by("position", "name")
    products = Product.objects.for_tenant(request.tenant).order_by("name")
    category_form = CategoryForm(request.POST if request.POST.get("kind") == "category" else None,
                                 prefix="new-category", initial={"in_scope": True, "active": True})
    product_form = ProductForm(request.POST if request.POST.get("kind") == "product" else None, prefix="new-product")
    if request.method == "POST":
        try:
            if category_form.is_bound and category_form.is_valid():
                data = dict(category_form.cleaned_data)
                category_save(tenant=request.tenant, category=None, code=data.pop("code"), actor=request.user, **data)
                messages.success(request, _("Saved."))
                return redirect("console:catalogue")
            if product_form.is_bound and product_form.is_valid():
                product_save(tenant=request.tenant, product=None, actor=request.user, **product_form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("console:catalogue")
        except ValidationError as error:
            _errors(request, error)
    rows = [(c, CategoryForm(initial={f: getattr(c, f) for f in CategoryForm.base_fields}, prefix=f"c{c.pk}"))
            for c in categories]
    product_rows = [(p, ProductForm(initial={"code": p.code, "name": p.name}, prefix=f"p{p.pk}")) for p in products]
    return render(request, "console/catalogue.html", {
        "rows": rows, "product_rows": product_rows, "category_form": category_form, "product_form": product_form,
        "section": "catalogue"})


@tenant_admin_required
def category_edit(request, pk):
    category = get_object_or_404(Category.objects.for_tenant(request.tenant), pk=pk)
    if request.method == "POST":
        form = CategoryForm({**request.POST.dict(), f"c{pk}-code": category.code}, prefix=f"c{pk}")
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("code")
            try:
                category_save(tenant=request.tenant, category=category, code=category.code, actor=request.user,
                              **data)
                messages.success(request, _("Saved."))
            except ValidationError as error:
                _errors(request, error)
        else:
            messages.error(request, " ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()
                                             if k in form.fields))
    return redirect("console:catalogue")


@tenant_admin_required
def product_edit(request, pk):
    product = get_object_or_404(Product.objects.for_tenant(request.tenant), pk=pk)
    if request.method == "POST":
        form = ProductForm({**request.POST.dict(), f"p{pk}-code": product.code}, prefix=f"p{pk}")
        if form.is_valid():
            try:
                product_save(tenant=request.tenant, product=product, code=product.code,
                             name=form.cleaned_data["name"], actor=request.user)
                messages.success(request, _("Saved."))
            except ValidationError as error:
                _errors(request, error)
        else:
            messages.error(request, " ".join(" ".join(v) for v in form.errors.values()))
    return redirect("console:catalogue")
