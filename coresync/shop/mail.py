"""The shop's emails, sent by the outbox worker (topic ``shop.email``): "your order is
ready" to the customer, "running low" to every manager."""

from coresync.accounts.models import Role, User
from coresync.core.money import format_amount
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import outbox_handler
from coresync.notifications.plain_mail import send_plain_email
from coresync.shop.models import Order, OrderStatus, Product
from coresync.shop.services import TOPIC_SHOP_EMAIL
from coresync.spa.selectors import get_settings


@outbox_handler(TOPIC_SHOP_EMAIL)
def deliver_shop_email(message: OutboxMessage) -> None:
    """Render and send the shop email of ``message`` (``kind`` ``order_ready`` or
    ``low_stock``); an order no longer ready, or a product gone, sends nothing."""
    kind = message.payload.get("kind")
    if kind == "order_ready":
        _order_ready(message)
    elif kind == "low_stock":
        _low_stock(message)
    else:
        raise ValueError(f"Unknown shop email {kind!r}.")


def _order_ready(message: OutboxMessage) -> None:
    order = (
        Order.objects.select_related("customer")
        .prefetch_related("lines__product")
        .filter(pk=message.payload.get("order_id"))
        .first()
    )
    if order is None or order.status != OrderStatus.READY:
        return
    spa = get_settings()
    lines = "\n".join(
        f"  {line.quantity} × {line.product.name}  ${format_amount(line.line_total)}"
        for line in order.lines.all()
    )
    text = (
        f"Hello {order.customer.get_short_name()},\n\n"
        f"Your order {order.reference} is ready for pickup at {spa.name}, at the front desk.\n\n"
        f"{lines}\n"
        f"  Subtotal ${format_amount(order.subtotal)}\n"
        f"  Tax ${format_amount(order.tax)}\n"
        f"  Total ${format_amount(order.total)} (paid at pickup)\n\n"
        f"{spa.address}\n"
    )
    send_plain_email(
        message,
        order.customer,
        kind="shop_order_ready",
        subject=f"Your order {order.reference} is ready for pickup",
        text=text,
    )


def _low_stock(message: OutboxMessage) -> None:
    product = Product.objects.filter(pk=message.payload.get("product_id")).first()
    manager = User.objects.filter(pk=message.payload.get("manager_id"), is_active=True).first()
    if product is None or manager is None or manager.role != Role.MANAGER:
        return
    text = (
        f"Hello {manager.get_short_name()},\n\n"
        f"{product.name} ({product.slug}) is running low: {product.stock} left "
        f"(alert at {product.low_stock_threshold}).\n"
    )
    send_plain_email(
        message,
        manager,
        kind="shop_low_stock",
        subject=f"Low stock: {product.name}",
        text=text,
    )
