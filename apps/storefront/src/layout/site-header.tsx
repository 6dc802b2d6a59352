import { SHOP_NAME } from '@shop/contracts';
import { Link, NavLink } from 'react-router';
import { useCart } from '../cart/cart-context';
import { plural } from '../format';

export function SiteHeader() {
  const { itemCount } = useCart();
  return (
    <header className="site-header">
      <div className="site-header__inner">
        <Link to="/" className="brand">
          <svg className="brand__mark" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="9" fill="currentColor" />
            <path d="M9 13h14l-1.5 10h-11z" fill="#faf8f5" />
            <path d="M12.5 13a3.5 3.5 0 0 1 7 0" fill="none" stroke="#faf8f5" strokeWidth="2" />
          </svg>
          {SHOP_NAME}
        </Link>
        <nav aria-label="Main" className="site-nav">
          <NavLink to="/" end>
            Shop
          </NavLink>
          <NavLink to="/orders">My orders</NavLink>
          <NavLink to="/cart" aria-label={`Cart, ${plural(itemCount, 'item')}`}>
            Cart
            <span className="cart-count" aria-hidden="true">
              {itemCount}
            </span>
          </NavLink>
        </nav>
      </div>
    </header>
  );
}
