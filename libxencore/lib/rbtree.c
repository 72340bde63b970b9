/* Red-black tree rebalancing (see rbtree.h).
 *
 * The textbook algorithm with NULL leaves: a missing child counts as black.
 * Because leaves are NULL, removal tracks the parent of the node that took
 * the removed one's place explicitly (it may be NULL itself). */
#include "lib/rbtree.h"

/* Puts @child where @old hangs from its parent (or at the root). */
static void replace_child(struct rb_tree *tree, struct rb_node *old, struct rb_node *child)
{
    struct rb_node *parent = old->parent;
    if (!parent)
        tree->root = child;
    else if (parent->left == old)
        parent->left = child;
    else
        parent->right = child;
    if (child)
        child->parent = parent;
}

static void rotate_left(struct rb_tree *tree, struct rb_node *x)
{
    struct rb_node *y = x->right;
    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(tree, x, y);
    y->left = x;
    x->parent = y;
}

static void rotate_right(struct rb_tree *tree, struct rb_node *x)
{
    struct rb_node *y = x->left;
    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(tree, x, y);
    y->right = x;
    x->parent = y;
}

static bool is_red(const struct rb_node *n)
{
    return n && n->red;
}

void rb_insert(struct rb_tree *tree, struct rb_node *node, struct rb_node *parent, bool left)
{
    node->parent = parent;
    node->left = node->right = NULL;
    node->red = true;
    if (!parent)
        tree->root = node;
    else if (left)
        parent->left = node;
    else
        parent->right = node;
    if (!tree->leftmost || (left && parent == tree->leftmost))
        tree->leftmost = node;
    tree->count++;

    /* Only a red node below a red parent can break the rules: push the
     * conflict up by recolouring, or end it with one or two rotations. */
    struct rb_node *p;
    while ((p = node->parent) && p->red) {
        struct rb_node *g = p->parent; /* exists: a red node is never the root */
        if (p == g->left) {
            struct rb_node *uncle = g->right;
            if (is_red(uncle)) {
                p->red = uncle->red = false;
                g->red = true;
                node = g;
                continue;
            }
            if (node == p->right) {
                rotate_left(tree, p);
                node = p;
                p = node->parent;
            }
            p->red = false;
            g->red = true;
            rotate_right(tree, g);
        } else {
            struct rb_node *uncle = g->left;
            if (is_red(uncle)) {
                p->red = uncle->red = false;
                g->red = true;
                node = g;
                continue;
            }
            if (node == p->left) {
                rotate_right(tree, p);
                node = p;
                p = node->parent;
            }
            p->red = false;
            g->red = true;
            rotate_left(tree, g);
        }
    }
    tree->root->red = false;
}

/* @x (maybe NULL) below @parent lacks one black node on its paths. */
static void erase_fixup(struct rb_tree *tree, struct rb_node *x, struct rb_node *parent)
{
    while (x != tree->root && !is_red(x)) {
        if (x == parent->left) {
            struct rb_node *w = parent->right; /* exists: its side has a black node more */
            if (w->red) {
                w->red = false;
                parent->red = true;
                rotate_left(tree, parent);
                w = parent->right;
            }
            if (!is_red(w->left) && !is_red(w->right)) {
                w->red = true;
                x = parent;
                parent = x->parent;
                continue;
            }
            if (!is_red(w->right)) {
                w->left->red = false;
                w->red = true;
                rotate_right(tree, w);
                w = parent->right;
            }
            w->red = parent->red;
            parent->red = false;
            w->right->red = false;
            rotate_left(tree, parent);
        } else {
            struct rb_node *w = parent->left;
            if (w->red) {
                w->red = false;
                parent->red = true;
                rotate_right(tree, parent);
                w = parent->left;
            }
            if (!is_red(w->left) && !is_red(w->right)) {
                w->red = true;
                x = parent;
                parent = x->parent;
                continue;
            }
            if (!is_red(w->left)) {
                w->right->red = false;
                w->red = true;
                rotate_left(tree, w);
                w = parent->left;
            }
            w->red = parent->red;
            parent->red = false;
            w->left->red = false;
            rotate_right(tree, parent);
        }
        x = tree->root;
        break;
    }
    if (x)
        x->red = false;
}

void rb_erase(struct rb_tree *tree, struct rb_node *z)
{
    if (tree->leftmost == z)
        tree->leftmost = rb_next(z);
    tree->count--;

    struct rb_node *x, *x_parent;
    bool removed_red = z->red;
    if (!z->left) {
        x = z->right;
        x_parent = z->parent;
        replace_child(tree, z, x);
    } else if (!z->right) {
        x = z->left;
        x_parent = z->parent;
        replace_child(tree, z, x);
    } else {
        /* Two children: z's successor y (no left child) takes z's place and
         * colour; the hole is where y was. */
        struct rb_node *y = z->right;
        while (y->left)
            y = y->left;
        removed_red = y->red;
        x = y->right;
        if (y->parent == z) {
            x_parent = y;
        } else {
            x_parent = y->parent;
            replace_child(tree, y, x);
            y->right = z->right;
            y->right->parent = y;
        }
        replace_child(tree, z, y);
        y->left = z->left;
        y->left->parent = y;
        y->red = z->red;
    }
    if (!removed_red)
        erase_fixup(tree, x, x_parent);
    z->parent = z->left = z->right = NULL;
}

struct rb_node *rb_next(const struct rb_node *node)
{
    if (node->right) {
        node = node->right;
        while (node->left)
            node = node->left;
        return (struct rb_node *)node;
    }
    while (node->parent && node == node->parent->right)
        node = node->parent;
    return node->parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
    if (node->left) {
        node = node->left;
        while (node->right)
            node = node->right;
        return (struct rb_node *)node;
    }
    while (node->parent && node == node->parent->left)
        node = node->parent;
    return node->parent;
}
